<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>CityPilot</name>
    <message>
        <source>API token</source>
        <translation>Jeton d'API</translation>
    </message>
    <message>
        <source>API token: refused by the server</source>
        <translation>Jeton d'API : refusé par le serveur</translation>
    </message>
    <message>
        <source>API token: required</source>
        <translation>Jeton d'API : obligatoire</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Acquitter</translation>
    </message>
    <message>
        <source>Alarm {} acknowledged</source>
        <translation>Alarme {} acquittée</translation>
    </message>
    <message>
        <source>Asset {} was changed on the server since you loaded it.</source>
        <translation>L'équipement {} a été modifié sur le serveur depuis son chargement.</translation>
    </message>
    <message>
        <source>Assign</source>
        <translation>Affecter</translation>
    </message>
    <message>
        <source>Assign…</source>
        <translation>Affecter…</translation>
    </message>
    <message>
        <source>Changed by someone else</source>
        <translation>Modifié par quelqu'un d'autre</translation>
    </message>
    <message>
        <source>CityPilot alarms</source>
        <translation>Alarmes CityPilot</translation>
    </message>
    <message>
        <source>CityPilot work orders</source>
        <translation>Ordres de travail CityPilot</translation>
    </message>
    <message>
        <source>Connect to CityPilot</source>
        <translation>Connexion à CityPilot</translation>
    </message>
    <message>
        <source>Connect to CityPilot…</source>
        <translation>Se connecter à CityPilot…</translation>
    </message>
    <message>
        <source>Connect, then choose a CityPilot layer</source>
        <translation>Connectez-vous, puis choisissez une couche CityPilot</translation>
    </message>
    <message>
        <source>Live states not read: {}</source>
        <translation>États en direct non lus : {}</translation>
    </message>
    <message>
        <source>Connected to {} as {} ({})</source>
        <translation>Connecté à {} en tant que {} ({})</translation>
    </message>
    <message>
        <source>Crew</source>
        <translation>Équipe</translation>
    </message>
    <message>
        <source>Description</source>
        <translation>Description</translation>
    </message>
    <message>
        <source>Edit in CityPilot (current layer, visible area)</source>
        <translation>Modifier dans CityPilot (couche active, zone visible)</translation>
    </message>
    <message>
        <source>Keep mine</source>
        <translation>Garder les miennes</translation>
    </message>
    <message>
        <source>No crew to assign</source>
        <translation>Aucune équipe à affecter</translation>
    </message>
    <message>
        <source>Order {} assigned</source>
        <translation>Ordre {} affecté</translation>
    </message>
    <message>
        <source>Refresh CityPilot layers</source>
        <translation>Actualiser les couches CityPilot</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualiser</translation>
    </message>
    <message>
        <source>Refused by the server:</source>
        <translation>Refusé par le serveur :</translation>
    </message>
    <message>
        <source>Select the assets first</source>
        <translation>Sélectionnez d'abord les équipements</translation>
    </message>
    <message>
        <source>Server URL</source>
        <translation>Adresse du serveur</translation>
    </message>
    <message>
        <source>Take theirs</source>
        <translation>Prendre les leurs</translation>
    </message>
    <message>
        <source>The token is kept in QGIS's authentication database, never in the project.</source>
        <translation>Le jeton est conservé dans la base d'authentification de QGIS, jamais dans le projet.</translation>
    </message>
    <message>
        <source>What does this feed?</source>
        <translation>Qu'alimente cet équipement ?</translation>
    </message>
    <message>
        <source>Work order from selection…</source>
        <translation>Ordre de travail depuis la sélection…</translation>
    </message>
    <message>
        <source>Work order {} opened</source>
        <translation>Ordre de travail {} ouvert</translation>
    </message>
    <message>
        <source>Work order</source>
        <translation>Ordre de travail</translation>
    </message>
    <message>
        <source>Your role may not edit the inventory</source>
        <translation>Votre rôle ne permet pas de modifier l'inventaire</translation>
    </message>
    <message>
        <source>Your role may not open work orders</source>
        <translation>Votre rôle ne permet pas d'ouvrir des ordres de travail</translation>
    </message>
    <message>
        <source>Zoom to</source>
        <translation>Zoomer sur</translation>
    </message>
    <message>
        <source>all</source>
        <translation>tous</translation>
    </message>
    <message>
        <source>page {} · {} in all</source>
        <translation>page {} · {} au total</translation>
    </message>
    <message>
        <source>{} change(s) saved in CityPilot</source>
        <translation>{} modification(s) enregistrée(s) dans CityPilot</translation>
    </message>
    <message>
        <source>{} feeds {} asset(s) on the map</source>
        <translation>{} alimente {} équipement(s) sur la carte</translation>
    </message>
    <message>
        <source>mine</source>
        <translation>les miennes</translation>
    </message>
    <message>
        <source>theirs</source>
        <translation>les leurs</translation>
    </message>
    <message>
        <source>Severity</source>
        <translation>Gravité</translation>
    </message>
    <message>
        <source>State</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Asset</source>
        <translation>Équipement</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Message</translation>
    </message>
    <message>
        <source>Raised</source>
        <translation>Levée le</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>Ordre</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Priorité</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>Catégorie</translation>
    </message>
    <message>
        <source>Import the current layer into CityPilot…</source>
        <translation>Importer la couche active dans CityPilot…</translation>
    </message>
    <message>
        <source>Connect as an editor and choose a layer</source>
        <translation>Connectez-vous avec un rôle d'édition et choisissez une couche</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>Importer</translation>
    </message>
    <message>
        <source>Asset kind</source>
        <translation>Type d'équipement</translation>
    </message>
    <message>
        <source>{} read, {} to import, {} rejected, {} probable duplicates</source>
        <translation>{} lues, {} à importer, {} rejetées, {} doublons probables</translation>
    </message>
    <message>
        <source>Dry run:</source>
        <translation>Essai à blanc :</translation>
    </message>
    <message>
        <source>Import now?</source>
        <translation>Importer maintenant ?</translation>
    </message>
    <message>
        <source>{} — rejected rows</source>
        <translation>{} — lignes rejetées</translation>
    </message>
    <message>
        <source>{} imported, {} rejected</source>
        <translation>{} importées, {} rejetées</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Nom d'utilisateur</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Mot de passe</translation>
    </message>
    <message>
        <source>or</source>
        <translation>ou</translation>
    </message>
    <message>
        <source>User name and password, or an API token: required</source>
        <translation>Nom d'utilisateur et mot de passe, ou un jeton d'API : obligatoires</translation>
    </message>
</context>
</TS>
